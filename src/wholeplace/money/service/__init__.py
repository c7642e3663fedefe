"""The money domain's functions over its tables, the only code that writes them: investment cases and their
versions (`scenarios`), the place's own unit costs (`unit_costs`), and cohorts drawn from the linked data
(`cohorts`)."""
