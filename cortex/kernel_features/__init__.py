"""Kernel-level features for AI workloads.

* :mod:`cortex.kernel_features.kv_cache_manager` – bookkeeping for LLM
  inference KV-cache pools (block allocation per sequence).
* :mod:`cortex.kernel_features.accelerator_limits` – resource-limit profiles
  (CPU quota, memory ceiling, visible GPUs) applied to AI jobs.
"""

__all__ = ["kv_cache_manager", "accelerator_limits"]
