/**
 * SDP <-> mediasoup for LiveKit's two PeerConnections. Publisher PC: the client offers
 * (parsePublisherOffer), the server answers (buildPublisherAnswer). Subscriber PC: the server offers
 * (buildSubscriberOffer), the client answers (parseSubscriberAnswer). Each PC is one mediasoup
 * WebRtcTransport; TransportSdpParams is what the SDP needs of it.
 */

export { buildPublisherAnswer } from './publisher-answer.js';
export { type OfferedMedia, type PublisherOffer, parsePublisherOffer } from './publisher-offer.js';
export { parseSubscriberAnswer, type SubscriberAnswer } from './subscriber-answer.js';
export { buildSubscriberOffer, type OfferEntry, type SubscriberOfferOptions } from './subscriber-offer.js';
export type { TransportSdpParams } from './transport-lines.js';
