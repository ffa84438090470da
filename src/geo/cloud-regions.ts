/** A public-cloud region in the built-in table. */
export interface CloudRegion {
  name: string;
  lat: number;
  lon: number;
  provider: 'aws' | 'gcp' | 'azure' | 'example';
  /** Where it is, in words. */
  location: string;
}

/**
 * Major public-cloud regions with the coordinates of their metro area (approximate: providers do not publish
 * exact sites). us-west-2 and us-east carry the exact coordinates of LiveKit's multi-region example, so a
 * config built from this table places rooms exactly as that example does.
 */
export const CLOUD_REGIONS: readonly CloudRegion[] = [
  // LiveKit's multi-region example
  {
    name: 'us-west-2',
    lat: 37.64046607830567,
    lon: -120.88026233189062,
    provider: 'aws',
    location: 'US West (LiveKit example coordinates)',
  },
  {
    name: 'us-east',
    lat: 40.68914362140307,
    lon: -74.04445748616385,
    provider: 'example',
    location: 'US East (LiveKit example coordinates)',
  },
  // AWS
  { name: 'us-east-1', lat: 39.0438, lon: -77.4874, provider: 'aws', location: 'N. Virginia' },
  { name: 'us-east-2', lat: 39.9612, lon: -82.9988, provider: 'aws', location: 'Ohio' },
  { name: 'us-west-1', lat: 37.3541, lon: -121.9552, provider: 'aws', location: 'N. California' },
  { name: 'ca-central-1', lat: 45.5019, lon: -73.5674, provider: 'aws', location: 'Montreal' },
  { name: 'sa-east-1', lat: -23.5505, lon: -46.6333, provider: 'aws', location: 'Sao Paulo' },
  { name: 'eu-west-1', lat: 53.3498, lon: -6.2603, provider: 'aws', location: 'Ireland' },
  { name: 'eu-west-2', lat: 51.5072, lon: -0.1276, provider: 'aws', location: 'London' },
  { name: 'eu-west-3', lat: 48.8566, lon: 2.3522, provider: 'aws', location: 'Paris' },
  { name: 'eu-central-1', lat: 50.1109, lon: 8.6821, provider: 'aws', location: 'Frankfurt' },
  { name: 'eu-north-1', lat: 59.3293, lon: 18.0686, provider: 'aws', location: 'Stockholm' },
  { name: 'eu-south-1', lat: 45.4642, lon: 9.19, provider: 'aws', location: 'Milan' },
  { name: 'me-south-1', lat: 26.0667, lon: 50.5577, provider: 'aws', location: 'Bahrain' },
  { name: 'af-south-1', lat: -33.9249, lon: 18.4241, provider: 'aws', location: 'Cape Town' },
  { name: 'ap-south-1', lat: 19.076, lon: 72.8777, provider: 'aws', location: 'Mumbai' },
  { name: 'ap-east-1', lat: 22.3193, lon: 114.1694, provider: 'aws', location: 'Hong Kong' },
  { name: 'ap-southeast-1', lat: 1.3521, lon: 103.8198, provider: 'aws', location: 'Singapore' },
  { name: 'ap-southeast-2', lat: -33.8688, lon: 151.2093, provider: 'aws', location: 'Sydney' },
  { name: 'ap-northeast-1', lat: 35.6762, lon: 139.6503, provider: 'aws', location: 'Tokyo' },
  { name: 'ap-northeast-2', lat: 37.5665, lon: 126.978, provider: 'aws', location: 'Seoul' },
  { name: 'ap-northeast-3', lat: 34.6937, lon: 135.5023, provider: 'aws', location: 'Osaka' },
  // Google Cloud
  { name: 'us-central1', lat: 41.2619, lon: -95.8608, provider: 'gcp', location: 'Council Bluffs, Iowa' },
  {
    name: 'us-east1',
    lat: 33.196,
    lon: -80.0131,
    provider: 'gcp',
    location: 'Moncks Corner, South Carolina',
  },
  { name: 'us-east4', lat: 39.0438, lon: -77.4874, provider: 'gcp', location: 'Ashburn, Virginia' },
  { name: 'us-west1', lat: 45.5946, lon: -121.1787, provider: 'gcp', location: 'The Dalles, Oregon' },
  { name: 'us-west2', lat: 34.0522, lon: -118.2437, provider: 'gcp', location: 'Los Angeles' },
  { name: 'northamerica-northeast1', lat: 45.5019, lon: -73.5674, provider: 'gcp', location: 'Montreal' },
  { name: 'southamerica-east1', lat: -23.5505, lon: -46.6333, provider: 'gcp', location: 'Sao Paulo' },
  { name: 'europe-west1', lat: 50.4491, lon: 3.8184, provider: 'gcp', location: 'St. Ghislain, Belgium' },
  { name: 'europe-west2', lat: 51.5072, lon: -0.1276, provider: 'gcp', location: 'London' },
  { name: 'europe-west3', lat: 50.1109, lon: 8.6821, provider: 'gcp', location: 'Frankfurt' },
  { name: 'europe-west4', lat: 53.4386, lon: 6.8355, provider: 'gcp', location: 'Eemshaven, Netherlands' },
  { name: 'europe-north1', lat: 60.5693, lon: 27.1878, provider: 'gcp', location: 'Hamina, Finland' },
  { name: 'asia-south1', lat: 19.076, lon: 72.8777, provider: 'gcp', location: 'Mumbai' },
  { name: 'asia-southeast1', lat: 1.3404, lon: 103.709, provider: 'gcp', location: 'Jurong West, Singapore' },
  { name: 'asia-east1', lat: 24.0518, lon: 120.5161, provider: 'gcp', location: 'Changhua County, Taiwan' },
  { name: 'asia-northeast1', lat: 35.6762, lon: 139.6503, provider: 'gcp', location: 'Tokyo' },
  { name: 'australia-southeast1', lat: -33.8688, lon: 151.2093, provider: 'gcp', location: 'Sydney' },
  // Azure
  { name: 'eastus', lat: 37.3719, lon: -79.8164, provider: 'azure', location: 'Virginia' },
  { name: 'eastus2', lat: 36.6681, lon: -78.3889, provider: 'azure', location: 'Virginia' },
  { name: 'centralus', lat: 41.5908, lon: -93.6208, provider: 'azure', location: 'Iowa' },
  { name: 'southcentralus', lat: 29.4167, lon: -98.5, provider: 'azure', location: 'Texas' },
  { name: 'westus', lat: 37.783, lon: -122.417, provider: 'azure', location: 'California' },
  { name: 'westus2', lat: 47.233, lon: -119.852, provider: 'azure', location: 'Washington' },
  { name: 'canadacentral', lat: 43.653, lon: -79.383, provider: 'azure', location: 'Toronto' },
  { name: 'brazilsouth', lat: -23.55, lon: -46.633, provider: 'azure', location: 'Sao Paulo State' },
  { name: 'northeurope', lat: 53.3478, lon: -6.2597, provider: 'azure', location: 'Ireland' },
  { name: 'westeurope', lat: 52.3667, lon: 4.9, provider: 'azure', location: 'Netherlands' },
  { name: 'uksouth', lat: 50.941, lon: -0.799, provider: 'azure', location: 'London' },
  { name: 'francecentral', lat: 46.3772, lon: 2.373, provider: 'azure', location: 'Paris' },
  { name: 'germanywestcentral', lat: 50.1109, lon: 8.6821, provider: 'azure', location: 'Frankfurt' },
  { name: 'swedencentral', lat: 60.6749, lon: 17.1413, provider: 'azure', location: 'Gavle' },
  { name: 'uaenorth', lat: 25.2667, lon: 55.3167, provider: 'azure', location: 'Dubai' },
  { name: 'southafricanorth', lat: -25.7313, lon: 28.2184, provider: 'azure', location: 'Johannesburg' },
  { name: 'centralindia', lat: 18.5822, lon: 73.9197, provider: 'azure', location: 'Pune' },
  { name: 'southeastasia', lat: 1.283, lon: 103.833, provider: 'azure', location: 'Singapore' },
  { name: 'eastasia', lat: 22.267, lon: 114.188, provider: 'azure', location: 'Hong Kong' },
  { name: 'japaneast', lat: 35.68, lon: 139.77, provider: 'azure', location: 'Tokyo' },
  { name: 'koreacentral', lat: 37.5665, lon: 126.978, provider: 'azure', location: 'Seoul' },
  { name: 'australiaeast', lat: -33.86, lon: 151.2094, provider: 'azure', location: 'New South Wales' },
];

/** The built-in region of that name, if any. */
export function builtinRegion(name: string): CloudRegion | undefined {
  return CLOUD_REGIONS.find((region) => region.name === name);
}
