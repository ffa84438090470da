/** What each method's request data must hold. Browser-safe. */
import {
  dtlsParameters,
  id,
  type ObjectSpec,
  oneOf,
  rtpCapabilities,
  rtpParameters,
  sctpStreamParameters,
  text,
} from './fields.js';
import type { Method } from './protocol.js';

/** The longest participant name or metadata a join may set. */
export const MAX_NAME_LENGTH = 256;
export const MAX_METADATA_LENGTH = 64 * 1024;
export const MAX_SOURCE_LENGTH = 32;
/** A data producer's label and sub-protocol (free text in WebRTC; kept short here). */
export const MAX_DATA_LABEL_LENGTH = 64;

const transportId = { check: id };
const producerId = { check: id };

export const REQUEST_SPECS: Record<Method, ObjectSpec> = {
  join: {
    name: { check: text(MAX_NAME_LENGTH), optional: true },
    metadata: { check: text(MAX_METADATA_LENGTH), optional: true },
  },
  createWebRtcTransport: { direction: { check: oneOf('send', 'recv') } },
  connectWebRtcTransport: { transportId, dtlsParameters: { check: dtlsParameters } },
  produce: {
    transportId,
    kind: { check: oneOf('audio', 'video') },
    rtpParameters: { check: rtpParameters },
    source: { check: text(MAX_SOURCE_LENGTH), optional: true },
  },
  consume: { transportId, producerId, rtpCapabilities: { check: rtpCapabilities } },
  resumeConsumer: { consumerId: { check: id } },
  pauseProducer: { producerId },
  resumeProducer: { producerId },
  closeProducer: { producerId },
  restartIce: { transportId },
  produceData: {
    transportId,
    sctpStreamParameters: { check: sctpStreamParameters },
    label: { check: text(MAX_DATA_LABEL_LENGTH), optional: true },
    protocol: { check: text(MAX_DATA_LABEL_LENGTH), optional: true },
  },
  consumeData: { transportId },
  leave: {},
};

/** Methods whose `data` may be left out entirely (it then reads as `{}`). */
export const DATA_OPTIONAL: ReadonlySet<Method> = new Set<Method>(['join', 'leave']);
