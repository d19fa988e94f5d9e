namespace berth {}
