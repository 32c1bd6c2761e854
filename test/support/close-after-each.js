'use strict';
// Clients, workers and admins a test opens, closed after each test of the suite:
//
//   const keep = closeAfterEach();          // inside describe(): registers the afterEach hook
//   const client = keep(gearmanode.client(...));

/** Registers an afterEach hook that closes (newest first) everything given to the returned `keep`. */
function closeAfterEach() {
  const opened = [];
  afterEach(function () {
    while (opened.length) opened.pop().close();
  });
  return function keep(x) {
    opened.push(x);
    return x;
  };
}

module.exports = { closeAfterEach };
