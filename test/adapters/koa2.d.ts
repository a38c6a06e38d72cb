// Koa 2 is installed under the alias `koa2` to test both majors side by side; the middleware API used
// here is the same as Koa 3's, so it borrows those types.
declare module 'koa2' {
  import Koa from 'koa';
  export default Koa;
}
