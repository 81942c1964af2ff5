'use strict';

// Render a mustache-like template with data (see problem statement).
function render(template, data) {
  throw new Error('not implemented');
}

module.exports = { render };
