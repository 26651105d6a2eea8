/** The browser's only way to the API: the shared proxy (`@ff/portal-server/proxy`) on this portal's session. */
import { apiProxy } from "@ff/portal-server/proxy";

import { session } from "@/lib/session";

const handle = apiProxy(session);

export { handle as DELETE, handle as GET, handle as PATCH, handle as POST, handle as PUT };
