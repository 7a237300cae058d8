import { dropTestDatabase, templateDatabase } from '../libs/testing/src/databases';

export default async function globalTeardown(): Promise<void> {
  await dropTestDatabase(templateDatabase());
}
