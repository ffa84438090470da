#!/usr/bin/env node
// Drives an lk-cluster cluster with nothing but LiveKit's official Node server SDK, the way an operator's existing
// LiveKit scripts do: create a room through one node, list it through another, delete it through a third.
//
//   npx lk-cluster start --nodes 3 --regions us-west-2,us-east        # in another shell
//   export LIVEKIT_API_KEY=... LIVEKIT_API_SECRET=...                 # a key pair from the config (or .lk-cluster/state.json)
//   node docs/examples/sdk-rooms.mjs http://127.0.0.1:7880 http://127.0.0.1:7881 http://127.0.0.1:7882
import { RoomServiceClient } from 'livekit-server-sdk';

const urls = process.argv.slice(2);
if (urls.length < 2 || !process.env.LIVEKIT_API_KEY || !process.env.LIVEKIT_API_SECRET) {
  console.error(
    'usage: LIVEKIT_API_KEY=KEY LIVEKIT_API_SECRET=SECRET node sdk-rooms.mjs NODE_URL NODE_URL [NODE_URL]',
  );
  process.exit(2);
}
// With no key and secret given, the SDK reads LIVEKIT_API_KEY and LIVEKIT_API_SECRET.
const [first, second, third = second] = urls.map((url) => new RoomServiceClient(url));
const [urlA, urlB, urlC = urlB] = urls;
const name = `sdk-example-${Date.now().toString(36)}`;

function fail(message) {
  console.error(`FAILED: ${message}`);
  process.exit(1);
}

const room = await first.createRoom({
  name,
  emptyTimeout: 120,
  maxParticipants: 10,
  metadata: 'made by sdk-rooms.mjs',
});
console.log(`created  ${room.name} (${room.sid}) through ${urlA}`);

const again = await third.createRoom({ name });
if (again.sid !== room.sid) fail(`CreateRoom through ${urlC} made a second room ${again.sid}`);
console.log(`created  it again through ${urlC}: the same room (${again.sid})`);

const listed = await second.listRooms([name]);
if (listed.length !== 1 || listed[0].sid !== room.sid) fail(`ListRooms through ${urlB} did not find ${name}`);
console.log(
  `listed   it through ${urlB}: ${listed[0].numParticipants} participants, max ${listed[0].maxParticipants}`,
);

const updated = await third.updateRoomMetadata(name, 'updated by sdk-rooms.mjs');
console.log(`updated  its metadata through ${urlC}: "${updated.metadata}"`);

const participants = await third.listParticipants(name);
console.log(`asked    ${urlC} for its participants: ${participants.length}`);

await second.deleteRoom(name);
console.log(`deleted  it through ${urlB}`);

const gone = await first.listRooms([name]);
if (gone.length !== 0) fail(`ListRooms through ${urlA} still lists ${name}`);
console.log(`checked  through ${urlA}: it is gone`);
