"""Merging nested configuration dicts."""


def deep_merge(base, override):
    """A dict with override's keys on top of base's; nested dicts are merged key by key."""
    result = dict(base)
    for key, value in override.items():
        current = result.get(key)
        if isinstance(current, dict) and isinstance(value, dict):
            _merge_into(current, value)
        else:
            result[key] = value
    return result


def _merge_into(target, override):
    for key, value in override.items():
        if isinstance(target.get(key), dict) and isinstance(value, dict):
            _merge_into(target[key], value)
        else:
            target[key] = value
