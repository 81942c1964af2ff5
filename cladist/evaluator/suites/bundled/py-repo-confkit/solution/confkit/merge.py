"""Merging nested configuration dicts."""

import copy


def deep_merge(base, override):
    """A new dict with override's keys on top of base's; nested dicts are merged key by key.

    Neither argument is modified and the result shares no dicts with them.
    """
    result = copy.deepcopy(base)
    for key, value in override.items():
        current = result.get(key)
        if isinstance(current, dict) and isinstance(value, dict):
            result[key] = deep_merge(current, value)
        else:
            result[key] = copy.deepcopy(value)
    return result
