"""Who is told what (the notification policy), retry schedules, webhook address rules, unsubscribe tokens."""
