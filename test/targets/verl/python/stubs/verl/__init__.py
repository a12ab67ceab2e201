"""A stand-in for the few verl 0.9.0 classes siri_verl subclasses (tests only; not verl)."""
