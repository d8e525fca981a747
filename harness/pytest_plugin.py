"""platebench's pytest plugin (being built: see issue "Evaluation run end to end")."""
