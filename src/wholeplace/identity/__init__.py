"""Identity: person and household resolution across sources, match explanations, review and evaluation."""
