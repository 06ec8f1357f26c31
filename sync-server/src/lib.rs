//! The RevLens sync server (under construction).
