package app

// QueueEmail lets app_test queue an email as use cases do (Mail.queue), in a transaction
// the test controls.
var QueueEmail = (*Mail).queue
