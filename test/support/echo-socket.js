'use strict';
/**
 * NativeSocket against the default gearmand (4730), spoken to with ECHO_REQ and heard in ECHO_RES:
 * for the tests of the socket's own read and write sides (test/native-socket-*.test.js).
 */
const { defaultServer } = require('./hooks');
const { once } = require('./trace');
const { NativeSocket } = require('../../lib/internal/native-socket');
const protocol = require('../../lib/gearmanode/protocol');

const T = protocol.PACKET_TYPES;

/** An ECHO_REQ packet carrying `text`. */
const echo = (text) => protocol.encodePacket(T.ECHO_REQ, [text]);

/** A NativeSocket connected to the default gearmand. */
async function connected() {
  const s = new NativeSocket();
  s.connect(defaultServer.port, defaultServer.host);
  await once(s, 'connect');
  return s;
}

/**
 * The texts of the ECHO_RES packets in `bytes`, in order, and how many bytes those whole packets
 * take (a partial packet at the end is left).
 * @returns {{texts: string[], used: number}}
 */
function echoesIn(bytes) {
  const texts = [];
  let used = 0;
  while (bytes.length - used >= 12 && bytes.length - used >= 12 + bytes.readUInt32BE(used + 8)) {
    const len = bytes.readUInt32BE(used + 8);
    if (bytes.readUInt32BE(used + 4) === T.ECHO_RES) texts.push(bytes.toString('utf8', used + 12, used + 12 + len));
    used += 12 + len;
  }
  return { texts, used };
}

module.exports = { echo, connected, echoesIn };
