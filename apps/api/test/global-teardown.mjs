export default async function globalTeardown() {
  await globalThis.__atelierPostgres?.stop();
}
