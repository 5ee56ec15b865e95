/* partition.c - placeholder until its layer lands. */
typedef int grt_placeholder_partition_t;
