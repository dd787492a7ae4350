"""What customers use and read: tracking numbers and the plain-words texts shown about problems."""
