"""The governance domain's functions, one module per concern: agreements, consent, the access decision and
the access log. They are the only writers of the domain's tables; other domains and the views call them."""
