"""The unit tree (province → commune/ward → service center), its locations and notification targets."""
