"""Money: the place's public spend, unit costs, and the investment case for prevention: who pays, who benefits."""
