/* transform.c - placeholder until its layer lands. */
typedef int grt_placeholder_transform_t;
