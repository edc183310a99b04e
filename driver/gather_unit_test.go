package driver

// noLinkBetween is the guard for a link above the entry being written.
