"""How the judge is made: data recipe, fine-tuning, export and calibration (the ``train`` extra)."""
