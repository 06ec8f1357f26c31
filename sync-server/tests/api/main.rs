//! Black-box tests of the sync server (added with the server).
