from . import test_any_model
