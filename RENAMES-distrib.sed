s/\bgrt__distrib_free\b/grt__plan_free/g
s/\bgrt__distrib_xfer_nodes\b/grt__plan_xfer_nodes/g
s/\bgrt__distrib_memo_hits\b/grt__plan_memo_hits/g
s/\bgrt__xfers_analyze\b/grt__plan_xfers_analyze/g
s/\bgrt__xfers_release\b/grt__plan_xfers_release/g
s/\bgrt__coh_everywhere_store\b/grt__plan_everywhere/g
s/\bgrt__post_red_gather\b/grt__gather_post/g
s/\bgrt__send_redbuf\b/grt__gather_send/g
