import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readIvf, readOggOpus } from '../../loadtest/clip.js';
import { ReceiveStats } from '../../loadtest/receive-stats.js';
import { keyFrameRequests, opusPacket, rtpTimestamp, sendStream, vp8Packets } from '../../loadtest/rtp.js';
import { protectRtp, rtpAuthentic, srtpKeys, unprotectRtcp } from '../../loadtest/srtp.js';
import { bindingRequest, bindingSuccess } from '../../loadtest/stun.js';
import { bucketOf, emptyHistogram, histogramPercentile } from '../../src/loadtest/histogram.js';
import { projectRoot } from '../helpers/paths.js';

const media = (name: string) => join(projectRoot, 'loadtest', 'media', name);

describe('load-test media', () => {
  it('reads the 720p clip: 60 VP8 frames at 30 fps, a key frame first and only there', () => {
    const clip = readIvf(media('vp8-720p.ivf'));
    assert.equal(clip.frames.length, 60);
    assert.equal(clip.fps, 30);
    assert.deepEqual([clip.width, clip.height], [1280, 720]);
    assert.deepEqual(
      clip.frames.flatMap((f, i) => (f.key ? [i] : [])),
      [0],
    );
    const bytes = clip.frames.reduce((sum, f) => sum + f.data.length, 0);
    // 2 s of a 1,700 kbps preset.
    assert.ok(bytes * 4 > 1_200_000 && bytes * 4 < 2_200_000, `${(bytes * 4) / 1000} kbps`);
  });

  it('reads the Opus clip: 2 s of 20 ms packets (one more for the encoder’s pre-skip), no Ogg header packet', () => {
    const clip = readOggOpus(media('opus-32k.ogg'));
    assert.equal(clip.frames.length, 101);
    for (const frame of clip.frames) {
      // RFC 6716 3.1: the TOC byte's configuration gives the frame length, its code the frames per packet.
      const config = frame.data[0]! >> 3;
      const ms =
        config < 12
          ? [10, 20, 40, 60][config % 4]
          : config < 16
            ? [10, 20][config % 2]
            : [2.5, 5, 10, 20][config % 4];
      assert.equal(ms, 20);
      assert.equal(frame.data[0]! & 3, 0, 'one frame per packet');
    }
  });
});

describe('load-test RTP', () => {
  it('packetizes a VP8 frame: S bit on the first packet, marker on the last, one picture id and timestamp', () => {
    const stream = sendStream(0x1234, 96);
    const firstSeq = stream.seq;
    const frame = randomBytes(2500);
    frame[0] = 0x10; // P bit 0: a key frame
    const packets = vp8Packets(stream, frame, 9000);
    assert.equal(packets.length, 3);
    assert.deepEqual(
      packets.map((p) => [p[12]! & 0x10, p[1]! & 0x80, p.readUInt32BE(4), p.readUInt32BE(8)]),
      [
        [0x10, 0, 9000, 0x1234],
        [0, 0, 9000, 0x1234],
        [0, 0x80, 9000, 0x1234],
      ],
    );
    assert.deepEqual(
      packets.map((p) => p.readUInt16BE(2)),
      [0, 1, 2].map((i) => (firstSeq + i) & 0xffff),
    );
    assert.equal(new Set(packets.map((p) => p.readUInt16BE(14) & 0x7fff)).size, 1);
    assert.deepEqual(Buffer.concat(packets.map((p) => p.subarray(18))), frame);
  });

  it('writes the audio level extension the speaker observer reads', () => {
    const packet = opusPacket(sendStream(7, 111), Buffer.from([0xfc, 1, 2]), 480, -30);
    assert.equal(packet.readUInt16BE(12), 0xbede);
    assert.equal(packet[16], 10 << 4);
    assert.equal(packet[17], 0x80 | 30);
    assert.deepEqual([...packet.subarray(20)], [0xfc, 1, 2]);
  });

  it('finds the SSRCs a PLI and a FIR ask a key frame of in a compound RTCP packet', () => {
    const rr = Buffer.from(
      '81c90001000000010000000000000000000000000000000000000000000000000000'.slice(0, 16),
      'hex',
    );
    const pli = Buffer.from('81ce0002000000010000abcd', 'hex');
    const fir = Buffer.from('84ce000400000001000000000000beef07000000', 'hex');
    assert.deepEqual(keyFrameRequests(Buffer.concat([rr, pli, fir])), [0xabcd, 0xbeef]);
  });

  it('stamps the send time as the RTP timestamp, modulo 2^32 at the clock rate', () => {
    assert.equal(rtpTimestamp(1000, 90000), 90000);
    assert.equal(rtpTimestamp(2 ** 32 / 48 + 1, 48000), 48);
  });
});

describe('load-test SRTP and ICE', () => {
  it('derives RFC 3711 B.3’s session keys from its master key and salt', () => {
    const keys = srtpKeys(
      Buffer.from('E1F97A0D3E018BE0D64FA32C06DE4139', 'hex'),
      Buffer.from('0EC675AD498AFEEBB6960B3AABE6', 'hex'),
    );
    assert.equal(keys.rtpKey.toString('hex'), 'c61e7a93744f39ee10734afe3ff7a087');
    assert.equal(keys.rtpSalt.toString('hex'), '30cbbc08863d8c85d49db34a9ae1');
    assert.equal(keys.rtpAuth.toString('hex').slice(0, 40), 'cebe321f6ff7716b6fd4ab49af256a156d38baa4');
  });

  it('protects RTP so that the header stays clear, the payload does not, and the tag checks only with its keys', () => {
    const keys = srtpKeys(randomBytes(16), randomBytes(14));
    const packet = opusPacket(sendStream(42, 111), Buffer.from('hello opus frame'), 960, -20);
    const protectedPacket = protectRtp(keys, packet, 0);
    assert.deepEqual(protectedPacket.subarray(0, 20), packet.subarray(0, 20));
    assert.notDeepEqual(protectedPacket.subarray(20, packet.length), packet.subarray(20));
    assert.equal(rtpAuthentic(keys, protectedPacket, 0), true);
    assert.equal(rtpAuthentic(keys, protectedPacket, 1), false, 'the rollover counter is authenticated');
    assert.equal(rtpAuthentic(srtpKeys(randomBytes(16), randomBytes(14)), protectedPacket, 0), false);
  });

  it('refuses SRTCP with a wrong tag', () => {
    const keys = srtpKeys(randomBytes(16), randomBytes(14));
    assert.equal(unprotectRtcp(keys, randomBytes(40)), undefined);
  });

  it('writes a Binding request nominating the candidate, recognised by its transaction id', () => {
    const { packet, transactionId } = bindingRequest(
      { usernameFragment: 'node', password: 'secret' },
      'bot',
      randomBytes(8),
    );
    assert.equal(packet.readUInt16BE(0), 0x0001);
    assert.equal(packet.readUInt16BE(2), packet.length - 20);
    assert.ok(packet.includes(Buffer.from('node:bot')));
    const success = Buffer.from(packet);
    success.writeUInt16BE(0x0101, 0);
    assert.deepEqual(bindingSuccess(success), transactionId);
    assert.equal(bindingSuccess(packet), undefined);
  });
});

describe('load-test receive figures', () => {
  it('counts loss from sequence numbers across a wrap, and latency from the timestamp', () => {
    const stats = new ReceiveStats();
    stats.expect(5, 'audio', 48000);
    const stream = sendStream(5, 111);
    stream.seq = 0xfffe;
    const now = performance.timeOrigin + performance.now();
    const sent: Buffer[] = [];
    for (let i = 0; i < 6; i++)
      sent.push(opusPacket(stream, Buffer.alloc(60), rtpTimestamp(now - 20, 48000), -30));
    // 0xfffe, 0xffff, 0, (1 lost), 2, 3; plain RTP (no keys: no SRTP tag to leave out of the bytes).
    for (const [i, p] of sent.entries()) if (i !== 3) stats.onPacket(p);
    const audio = stats.counters().audio;
    assert.equal(audio.tracks, 1);
    assert.equal(audio.packets, 5);
    assert.equal(audio.expected, 6);
    assert.equal(audio.bytes, 5 * 80);
    const p50 = histogramPercentile(audio.latency, 0.5)!;
    assert.ok(p50 >= 19 && p50 < 100, `latency ${p50} ms`);
  });

  it('reads percentiles within the 5% bucket width', () => {
    const histogram = emptyHistogram();
    for (let ms = 1; ms <= 100; ms++) histogram[bucketOf(ms)]!++;
    assert.ok(Math.abs(histogramPercentile(histogram, 0.5)! - 50) / 50 < 0.06);
    assert.ok(Math.abs(histogramPercentile(histogram, 0.99)! - 99) / 99 < 0.06);
    assert.equal(histogramPercentile(emptyHistogram(), 0.5), undefined);
  });
});
