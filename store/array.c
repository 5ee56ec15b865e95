/* array.c - placeholder until its layer lands. */
typedef int grt_placeholder_array_t;
