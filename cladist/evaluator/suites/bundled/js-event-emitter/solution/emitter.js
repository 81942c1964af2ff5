'use strict';

// A minimal event emitter (see problem statement).
class Emitter {
  constructor() {
    this.listeners = new Map();
  }

  add(event, listener, once) {
    if (!this.listeners.has(event)) {
      this.listeners.set(event, []);
    }
    this.listeners.get(event).push({ listener, once });
    return this;
  }

  on(event, listener) {
    return this.add(event, listener, false);
  }

  once(event, listener) {
    return this.add(event, listener, true);
  }

  off(event, listener) {
    const entries = this.listeners.get(event) || [];
    const index = entries.findIndex((entry) => entry.listener === listener);
    if (index >= 0) {
      entries.splice(index, 1);
    }
    return this;
  }

  emit(event, ...args) {
    const entries = (this.listeners.get(event) || []).slice();
    for (const entry of entries) {
      if (entry.once) {
        const current = this.listeners.get(event) || [];
        const index = current.indexOf(entry);
        if (index < 0) {
          continue;
        }
        current.splice(index, 1);
      }
      entry.listener(...args);
    }
    return entries.length > 0;
  }

  listenerCount(event) {
    return (this.listeners.get(event) || []).length;
  }
}

module.exports = { Emitter };
