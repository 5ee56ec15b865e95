/* type.c - placeholder until its layer lands. */
typedef int grt_placeholder_type_t;
