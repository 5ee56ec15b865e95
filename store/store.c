/* store.c - placeholder until its layer lands. */
typedef int grt_placeholder_store_t;
