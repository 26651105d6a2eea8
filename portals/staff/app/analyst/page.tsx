import AnalystChat from "@/components/AnalystChat";
import Restricted from "@/components/Restricted";
import StaffPage from "@/components/StaffPage";

export default function AnalystPage() {
  return (
    <StaffPage path="/analyst">
      <Restricted permission="analytics.read" what="the AI analyst">
        <AnalystChat />
      </Restricted>
    </StaffPage>
  );
}
