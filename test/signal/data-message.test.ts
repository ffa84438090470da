import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DataPacket, DataPacket_Kind, UserPacket } from '@livekit/protocol';
import type { Participant } from '../../server/media/participant.js';
import { dataPacketOf, nodeDataMessage } from '../../server/signal/data-channel.js';
import { parseDataMessage } from '../../src/signal/data-message.js';
import { MAX_DATA_MESSAGE_BYTES, MAX_DATA_TOPIC_LENGTH } from '../../src/signal/protocol.js';

const alice = { identity: 'alice', sid: 'PA_alice' };

describe("our protocol's data messages", () => {
  it('reads a client message, keeping only its own fields and each destination once', () => {
    const parsed = parseDataMessage(
      JSON.stringify({ topic: 'chat', data: 'hi', to: ['bob', 'bob', 'carol'], reliable: false, extra: 1 }),
    );
    assert.deepEqual(parsed, {
      ok: true,
      message: { topic: 'chat', data: 'hi', to: ['bob', 'carol'], reliable: false },
    });
    assert.deepEqual(parseDataMessage('{"data":""}'), { ok: true, message: { data: '' } });
  });

  it('refuses what is not a data message, naming why', () => {
    const cases: [string, RegExp][] = [
      ['not json', /must be JSON/],
      ['[1]', /JSON object/],
      ['{"data":5}', /data must be a string/],
      [JSON.stringify({ data: '', topic: 't'.repeat(MAX_DATA_TOPIC_LENGTH + 1) }), /topic/],
      ['{"data":"","to":"bob"}', /to must be an array/],
      ['{"data":"","to":[""]}', /non-empty identities/],
      ['{"data":"","reliable":"yes"}', /reliable must be a boolean/],
      [JSON.stringify({ data: 'é'.repeat(MAX_DATA_MESSAGE_BYTES / 2) }), /limited to 65536 bytes/],
    ];
    for (const [text, pattern] of cases) {
      const parsed = parseDataMessage(text);
      assert.equal(parsed.ok, false, text.slice(0, 60));
      if (!parsed.ok) assert.match(parsed.problem, pattern);
    }
  });

  it("makes a LiveKit user packet with the sender's identity, sid, topic, destinations and kind", () => {
    const data = dataPacketOf(alice, { topic: 'chat', data: 'héllo', to: ['bob'], reliable: false });
    assert.deepEqual([data.destinations, data.reliable], [['bob'], false]);
    const packet = DataPacket.fromBinary(data.packet);
    assert.equal(packet.kind, DataPacket_Kind.LOSSY);
    assert.deepEqual([packet.participantIdentity, packet.participantSid], ['alice', 'PA_alice']);
    assert.deepEqual(packet.destinationIdentities, ['bob']);
    assert.equal(packet.value.case, 'user');
    const user = packet.value.value as UserPacket;
    assert.deepEqual(
      [user.participantIdentity, user.participantSid, user.topic],
      ['alice', 'PA_alice', 'chat'],
    );
    assert.equal(new TextDecoder().decode(user.payload), 'héllo');
    assert.equal(
      DataPacket.fromBinary(dataPacketOf(alice, { data: 'x' }).packet).kind,
      DataPacket_Kind.RELIABLE,
    );
  });

  it("turns a room's user packet into the JSON a client receives, binary payloads as base64", () => {
    const from = { identity: 'bob' } as Participant;
    const packet = (payload: Uint8Array, topic?: string) =>
      new DataPacket({
        kind: DataPacket_Kind.RELIABLE,
        value: { case: 'user', value: new UserPacket({ participantIdentity: 'bob', payload, topic }) },
      }).toBinary();
    const text = nodeDataMessage({
      from,
      destinations: [],
      reliable: true,
      packet: packet(new TextEncoder().encode('hi'), 't'),
    });
    assert.deepEqual(JSON.parse(text ?? ''), { from: 'bob', topic: 't', data: 'hi', reliable: true });
    const binary = nodeDataMessage({
      destinations: [],
      reliable: false,
      packet: packet(new Uint8Array([0xff, 0])),
    });
    assert.deepEqual(JSON.parse(binary ?? ''), { from: 'bob', data: '/wA=', binary: true, reliable: false });
    // Not a user packet, or not a packet at all: nothing to deliver.
    const speaker = new DataPacket({ value: { case: 'sipDtmf', value: {} as never } }).toBinary();
    assert.equal(nodeDataMessage({ destinations: [], reliable: true, packet: speaker }), undefined);
    assert.equal(
      nodeDataMessage({ destinations: [], reliable: true, packet: new Uint8Array([0xff]) }),
      undefined,
    );
  });
});
