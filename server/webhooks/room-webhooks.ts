import type { types } from 'mediasoup';
import type { Participant } from '../media/participant.js';
import type { Room } from '../media/room.js';
import type { RoomRegistry } from '../media/room-registry.js';
import { endReason, type WebhookEventName, type WebhookSubject, webhookEvent } from './webhook-event.js';
import type { WebhookQueue } from './webhook-queue.js';

export interface RoomWebhooksOptions {
  rooms: Pick<RoomRegistry, 'on' | 'off' | 'list'>;
  queue: Pick<WebhookQueue, 'push'>;
  /** This node's region, shown in ParticipantInfo. */
  region: string;
  /** True once the node stops: a room closing then ended with the server. */
  shuttingDown: () => boolean;
}

/**
 * Turns the events of every room this node hosts into LiveKit's webhooks. Only a room's own node sees its events
 * (a bridge node relays signalling and hosts nothing), so each event is sent once across the cluster. A room that
 * spans nodes is seen by each of them: a node tells of its own participants and their tracks (the others are the
 * ends of pipes from their nodes), and only the home tells of the room itself. A
 * participant that leaves (or is in the room when it closes) first has its remaining tracks unpublished, and a
 * closing room first has its participants leave, so that every *_started / *_joined / *_published is matched.
 * Returns the function that stops watching.
 */
export function watchRoomWebhooks(options: RoomWebhooksOptions): () => void {
  const { rooms, queue, region, shuttingDown } = options;
  const watched = new WeakSet<Room>();

  const watch = (room: Room): void => {
    if (watched.has(room) || room.closed) return;
    watched.add(room);
    // Once a leg becomes the home (its home left), its room_finished is this node's to send.
    let started = room.role === 'home';
    // What was announced and not yet withdrawn: the room empties its maps before it says it closed.
    const present = new Map<Participant, Set<types.Producer>>();
    const send = (event: WebhookEventName, subject: Omit<WebhookSubject, 'room'> = {}) =>
      queue.push(room.name, webhookEvent(event, { room, ...subject }, region));
    const joined = (participant: Participant) => {
      if (present.has(participant) || !participant.local) return;
      present.set(participant, new Set());
      send('participant_joined', { participant });
      for (const producer of participant.producers.values()) published(participant, producer);
    };
    const published = (participant: Participant, producer: types.Producer) => {
      const tracks = present.get(participant);
      if (!tracks || tracks.has(producer)) return;
      tracks.add(producer);
      send('track_published', { participant, producer });
    };
    const unpublished = (participant: Participant, producer: types.Producer) => {
      if (present.get(participant)?.delete(producer)) send('track_unpublished', { participant, producer });
    };
    const left = (participant: Participant) => {
      const tracks = present.get(participant);
      if (!tracks) return;
      for (const producer of tracks) send('track_unpublished', { participant, producer });
      present.delete(participant);
      send('participant_left', { participant, left: true });
    };

    if (started) send('room_started');
    // A participant that joined while the room was being registered (a concurrent open) is announced now.
    for (const participant of room.participants.values()) joined(participant);
    room.on('participantJoined', joined);
    room.on('trackPublished', published);
    room.on('trackUnpublished', unpublished);
    room.on('participantLeft', left);
    room.once('closed', (reason) => {
      for (const participant of [...present.keys()]) left(participant);
      started ||= room.role === 'home';
      // A home that handed the room over to a leg (or lost it) did not end it: the new home will.
      if (started && !room.moved)
        send('room_finished', { endReason: endReason(room, reason, shuttingDown()) });
      room.off('participantJoined', joined);
      room.off('trackPublished', published);
      room.off('trackUnpublished', unpublished);
      room.off('participantLeft', left);
    });
  };

  rooms.on('opened', watch);
  for (const room of rooms.list()) watch(room);
  return () => rooms.off('opened', watch);
}
