import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AddTrackRequest, SessionDescription, TrackSource, TrackType } from '@livekit/protocol';
import { projectRoot } from '../helpers/paths.js';
import { waitFor } from '../helpers/wait.js';
import type { LiveKitSocket } from './livekit-socket.js';

// Chromium's publisher offer for LiveKit's JS client (test/fixtures/sdp/), and the msids of its two tracks: the
// AddTrack cids name them, as the JS client's do.
const OFFER = 'vp8-simulcast-720p-opus-red.sdp';
const VIDEO_CID = 'b716d6f5-e7da-45e4-8108-45a96bf91300';
const AUDIO_CID = 'b4d813d4-e301-4c6a-87b1-301a3e28418d';

/**
 * Publishes a camera (`cam`) and a microphone (`mic`) from a raw LiveKit socket as the JS client does: two
 * AddTracks, then the publisher offer. The node makes both producers on the offer, so the participant lists both
 * tracks, though no media ever flows (there is no DTLS peer).
 */
export async function publishCameraAndMicrophone(socket: LiveKitSocket): Promise<void> {
  const from = socket.messages.length;
  socket.send({
    case: 'addTrack',
    value: new AddTrackRequest({
      cid: VIDEO_CID,
      type: TrackType.VIDEO,
      source: TrackSource.CAMERA,
      name: 'cam',
    }),
  });
  socket.send({
    case: 'addTrack',
    value: new AddTrackRequest({
      cid: AUDIO_CID,
      type: TrackType.AUDIO,
      source: TrackSource.MICROPHONE,
      name: 'mic',
    }),
  });
  await waitFor(() => socket.messages.slice(from).filter((m) => m.case === 'trackPublished').length === 2, {
    what: 'both tracks announced',
  });
  const sdp = readFileSync(join(projectRoot, 'test', 'fixtures', 'sdp', OFFER), 'utf8');
  socket.send({ case: 'offer', value: new SessionDescription({ type: 'offer', sdp, id: 1 }) });
  await socket.next('answer', { from, what: 'the answer to the publisher offer' });
}
