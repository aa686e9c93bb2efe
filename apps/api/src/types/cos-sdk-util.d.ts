/** The SDK's internal helpers (sdk/util.js, CommonJS); only what the COS driver guards. */
declare module 'cos-nodejs-sdk-v5/sdk/util.js' {
  const util: { parseResBody?: (body: unknown) => unknown };
  export default util;
}
