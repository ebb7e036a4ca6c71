export function mountBadge() {}
