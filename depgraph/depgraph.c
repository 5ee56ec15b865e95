/* depgraph.c - placeholder until its layer lands. */
typedef int grt_placeholder_depgraph_t;
