"""Reports handed upward: the reporting calendar, dashboard figures, forms, the template filler."""
