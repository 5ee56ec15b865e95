/* comm.c - placeholder until its layer lands. */
typedef int grt_placeholder_comm_t;
