// Express 4 is installed under the alias `express4` to test both majors side by side; its API used in the
// tests is the same as Express 5's, so it borrows those types.
declare module 'express4' {
  import express from 'express';
  export default express;
}
