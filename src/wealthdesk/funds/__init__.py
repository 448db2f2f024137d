"""Fund retention: how the fund holding balance moved in a window, who redeemed, and whom to reassure."""
