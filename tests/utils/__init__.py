"""Tests of the hand-written helpers the fixes import (cortex/utils)."""
