"""Coordination: the team around the household — search with a purpose, household and person pages, the lead
professional, one shared plan, meetings, referrals, alerts, closure and sustainment, caseloads."""
