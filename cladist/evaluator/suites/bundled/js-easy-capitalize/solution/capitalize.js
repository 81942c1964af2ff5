'use strict';

// Upper-case the first letter of word; the rest is unchanged.
function capitalize(word) {
  if (word.length === 0) {
    return word;
  }
  return word[0].toUpperCase() + word.slice(1);
}

module.exports = { capitalize };
