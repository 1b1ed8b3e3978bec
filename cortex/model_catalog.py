"""The catalog of local models, refreshed from the provider and read by the model picker.

Refreshes are serialised by a lock; the picker reads the cached file directly.
"""

import json
import threading
from pathlib import Path


class ModelCatalog:
    def __init__(self, cache_dir):
        self._lock = threading.Lock()
        self.cache_file = Path(cache_dir) / "models.json"

    def refresh(self, models):
        with self._lock:
            with open(self.cache_file, "w", encoding="utf-8") as f:
                json.dump({"models": list(models)}, f)

    def names(self):
        with self._lock:
            with open(self.cache_file, encoding="utf-8") as f:
                return json.load(f)["models"]
