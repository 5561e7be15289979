"""Generated texts with planted personal data, and the masking of `intake.privacy` scored on them."""
