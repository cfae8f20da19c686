package app

// QueueVerification exposes queueVerification to app_test, to show that an email queued
// in a transaction that rolls back never exists.
var QueueVerification = (*Auth).queueVerification
